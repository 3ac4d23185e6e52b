// Rules that span several fields, written once as CEL for the apiserver (x-kubernetes-validations)
// next to the JavaScript the operator runs itself (apiservers without CEL, files checked offline).
// `at` is the property path of the object the rule sits on; CEL's `self` is that object.
import { MAX_NAME_LENGTH, NAME_MESSAGE, NAME_PATTERN } from './cr-name.js';

export interface CrossFieldRule {
  readonly at: readonly string[];
  readonly rule: string;
  readonly message: string;
  /** The field the apiserver reports the error on, relative to `at`. */
  readonly fieldPath?: string;
}

export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    // Mirrors engineConfigProblems(); has() keeps the rule safe if a default is ever removed.
    at: ['spec', 'gossip'],
    rule: '!has(self.probeTimeoutMs) || !has(self.probeIntervalMs) || self.probeTimeoutMs < self.probeIntervalMs',
    message: 'probeTimeoutMs must be less than probeIntervalMs',
    fieldPath: '.probeTimeoutMs',
  },
  {
    at: ['spec', 'updateStrategy'],
    rule: "!has(self.maxUnavailable) || !has(self.type) || self.type == 'RollingUpdate'",
    message: 'maxUnavailable applies only to type RollingUpdate',
    fieldPath: '.maxUnavailable',
  },
  {
    at: [],
    rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH} && self.metadata.name.matches('${NAME_PATTERN}')`,
    // No fieldPath: the CRD schema does not describe metadata's fields, so none can be named.
    message: `metadata.name ${NAME_MESSAGE}`,
  },
];
