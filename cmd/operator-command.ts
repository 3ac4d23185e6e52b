// `grapevine operator`: reconciles GossipCluster resources into agents. One replica leads (Lease);
// the others wait ready to take over.
import { hostname } from 'node:os';
import { type Command, CommanderError } from 'commander';
import { type CliIo, EXIT_USAGE } from './cli-io.js';

export interface OperatorFlags {
  kubeconfig?: string;
  namespace?: string;
  http: string;
  informerStuckAfterMs: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
  identity?: string;
  statusIntervalMs: string;
  leaseDurationMs: string;
  renewDeadlineMs: string;
  retryPeriodMs: string;
  workers: string;
  logLevel: string;
  clusterDomain: string;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${flag}: expected a positive integer, got '${value}'`);
  return n;
}

const DNS_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';

// A DNS name: the agents' joinDns is <service>.<namespace>.svc.<domain>.
function clusterDomain(value: string): string {
  if (value.length > 200 || !new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`).test(value))
    throw new Error(`--cluster-domain: expected a DNS name such as cluster.local, got '${value}'`);
  return value;
}

/** "a,b" → ['a','b']; empty → [] (all namespaces). Refuses names that cannot be namespaces. */
export function namespaceList(value: string | undefined): string[] {
  const names = (value ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const n of names)
    if (!new RegExp(`^${DNS_LABEL}$`).test(n))
      throw new Error(`--namespace: '${n}' is not a namespace name (lowercase letters, digits and '-')`);
  return [...new Set(names)];
}

export function registerOperator(program: Command, io: CliIo): void {
  program
    .command('operator')
    .description(
      'Run the operator: reconcile GossipCluster resources into agent DaemonSets and report their status.',
    )
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)',
    )
    .option(
      '--namespace <list>',
      'watch only these namespaces, comma-separated (default: all); with a list the operator needs Roles only',
    )
    .option('--http <host:port>', 'health, readiness and metrics endpoint', '0.0.0.0:8081')
    .option('--no-leader-elect', 'run without leader election (one replica only!)')
    .option(
      '--leader-election-namespace <ns>',
      'namespace of the Lease (default: $POD_NAMESPACE, else default)',
    )
    .option('--leader-election-id <name>', 'name of the Lease', 'grapevine-operator')
    .option('--identity <id>', 'this replica in the Lease (default: $POD_NAME, else host name and pid)')
    .option('--lease-duration-ms <ms>', 'how long a lease is valid without renewal (failover time)', '15000')
    .option('--renew-deadline-ms <ms>', 'a leader that cannot renew for this long steps down', '10000')
    .option('--retry-period-ms <ms>', 'time between lease attempts', '2000')
    .option('--status-interval-ms <ms>', 'how often each cluster’s agents are polled for the status', '30000')
    .option('--workers <n>', 'reconciles running at once', '2')
    .option(
      '--informer-stuck-after-ms <ms>',
      'an informer failing this long makes /readyz answer 503 (never /healthz)',
      '120000',
    )
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
    .option(
      '--cluster-domain <domain>',
      'the cluster DNS domain agents find their Service in',
      'cluster.local',
    )
    .action(async (flags: OperatorFlags) => {
      let settings: Parameters<typeof import('../src/operator/operator.js').startOperator>[0];
      try {
        settings = {
          kubeconfig: flags.kubeconfig,
          namespaces: namespaceList(flags.namespace),
          informerStuckAfterMs: positiveInt('informer-stuck-after-ms', flags.informerStuckAfterMs),
          http: flags.http,
          leaderElection: flags.leaderElect
            ? {
                namespace: flags.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? 'default',
                name: flags.leaderElectionId,
                identity: flags.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
                leaseDurationMs: positiveInt('lease-duration-ms', flags.leaseDurationMs),
                renewDeadlineMs: positiveInt('renew-deadline-ms', flags.renewDeadlineMs),
                retryPeriodMs: positiveInt('retry-period-ms', flags.retryPeriodMs),
              }
            : null,
          statusIntervalMs: positiveInt('status-interval-ms', flags.statusIntervalMs),
          workers: positiveInt('workers', flags.workers),
          logLevel: flags.logLevel,
          clusterDomain: clusterDomain(flags.clusterDomain),
        };
        const le = settings.leaderElection;
        if (le) {
          const { validateElectionTimings } = await import('../src/operator/controller/leader-election.js');
          validateElectionTimings(
            le.leaseDurationMs ?? 15_000,
            le.renewDeadlineMs ?? 10_000,
            le.retryPeriodMs ?? 2_000,
            0.2,
          );
        }
      } catch (err) {
        io.err(`grapevine: ${(err as Error).message}\n`);
        throw new CommanderError(EXIT_USAGE, 'grapevine.usage', (err as Error).message);
      }
      const { startOperator } = await import('../src/operator/operator.js');
      const operator = await startOperator(settings);
      process.once('SIGTERM', () => void operator.stop('SIGTERM'));
      process.once('SIGINT', () => void operator.stop('SIGINT'));
      await operator.stopped;
    });
}
