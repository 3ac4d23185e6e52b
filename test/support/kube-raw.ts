// Raw JSON requests to the test apiserver. client-node serializes bodies through its typed models,
// whose attribute names for schema extensions (x-kubernetes-int-or-string, x-kubernetes-validations,
// default, enum) differ from the JSON names, so a plain-JSON CRD sent through it loses them.
import { request } from 'node:https';
import type { KubeEnv } from './kube-env.js';

export function kubeRaw(
  env: KubeEnv,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, env.server),
      {
        method,
        ca: env.caPem,
        headers: {
          authorization: `Bearer ${env.adminToken}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(text) }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** Creates or replaces a CRD exactly as given; throws with the apiserver's message on failure. */
export async function putCrd(env: KubeEnv, crd: { metadata: { name: string } }): Promise<void> {
  const existing = await kubeRaw(env, 'GET', `${CRDS}/${crd.metadata.name}`);
  const res =
    existing.status === 404
      ? await kubeRaw(env, 'POST', CRDS, crd)
      : await kubeRaw(env, 'PUT', `${CRDS}/${crd.metadata.name}`, {
          ...crd,
          metadata: {
            ...crd.metadata,
            resourceVersion: (existing.body as { metadata: { resourceVersion: string } }).metadata
              .resourceVersion,
          },
        });
  if (res.status >= 300)
    throw new Error(
      `CRD ${crd.metadata.name}: HTTP ${res.status}: ${(res.body as { message?: string })?.message}`,
    );
}

/** JSON when it is JSON; some answers (a 404 for an unknown API path) are plain text. */
function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
