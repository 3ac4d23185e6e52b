// In-memory KubeConfigs for the test control plane: one cluster (server + CA data) and a
// bearer-token user, so each test identity is just a token.
import { KubeConfig } from '@kubernetes/client-node';

export function kubeConfigFor(server: string, caPem: string, token: string, userName = 'user'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'grapevine-test',
        server,
        caData: Buffer.from(caPem).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: userName, token }],
    contexts: [{ name: userName, cluster: 'grapevine-test', user: userName, namespace: 'default' }],
    currentContext: userName,
  });
  return kc;
}
