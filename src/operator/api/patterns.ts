// Regular expressions for the names and values Kubernetes validates, shared by the CRD schema
// (`pattern`, CEL) and the operator's own check. RE2 syntax: no look-around.

/**
 * A resource quantity (e.g. 100m, 128Mi, 2): an integer or a string in the apiserver's own quantity
 * syntax, never negative. Anything else would make every apply of the DaemonSet fail.
 */
export const QUANTITY_PATTERN =
  '^\\+?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** DNS-1123 subdomain: names of Secrets and PriorityClasses. */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A key of a Secret or ConfigMap, which becomes a file name: never `.`, `..` or starting with `..`. */
export const DATA_KEY_PATTERN = '^\\.?[-_a-zA-Z0-9][-._a-zA-Z0-9]*$';
/** A label key or other qualified name: optional DNS prefix and `/`, then a name of ≤ 63 characters. */
export const QUALIFIED_NAME_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
/** A label value: ≤ 63 characters, alphanumeric at both ends. */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** An OCI image reference: [registry[:port]/]path[:tag][@digest]. */
export const IMAGE_PATTERN =
  '^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[a-z0-9]+([+._-][a-z0-9]+)*:[a-fA-F0-9]{32,})?$';
/** A percentage from 0% to 100%, written without leading zeros (as a DaemonSet's maxUnavailable). */
export const PERCENT_PATTERN = '^([0-9]|[1-9][0-9]|100)%$';
