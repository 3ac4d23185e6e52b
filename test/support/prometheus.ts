// A real Prometheus (Debian's `prometheus`) for tests: on loopback with a free port and a temp
// storage dir, scraping file_sd targets the test writes (file_sd files are re-read on change), and
// the HTTP query API to read back what it scraped.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freeLoopbackPort } from './kube-env-ports.js';
import { ManagedProcess, waitUntil } from './kube-env-process.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface ScrapeJob {
  job_name: string;
  scrape_interval: string;
  metrics_path: string;
  /** Prometheus relabel_configs, applied to the file_sd labels (which may include __meta_* ones). */
  relabel_configs: Array<Record<string, unknown>>;
}

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export interface Sample {
  metric: Record<string, string>;
  values?: Array<[number, string]>;
  value?: [number, string];
}

export class TestPrometheus {
  private constructor(
    readonly url: string,
    private readonly dir: string,
    private readonly proc: ManagedProcess,
  ) {}

  static async start(dir: string, jobs: ScrapeJob[]): Promise<TestPrometheus> {
    mkdirSync(join(dir, 'sd'), { recursive: true });
    const port = await freeLoopbackPort();
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: jobs.map((j) => ({
        ...j,
        scrape_timeout: '1s',
        file_sd_configs: [
          { files: [join(dir, 'sd', `${j.job_name.replaceAll('/', '_')}.json`)], refresh_interval: '1s' },
        ],
      })),
    };
    for (const j of jobs) writeFileSync(join(dir, 'sd', `${j.job_name.replaceAll('/', '_')}.json`), '[]');
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const proc = new ManagedProcess(
      'prometheus',
      PROMETHEUS_BIN,
      () => [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      join(dir, 'prometheus.log'),
    );
    proc.start();
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(proc, 'ready', 60_000, async () => (await fetch(`${url}/-/ready`)).ok);
    return new TestPrometheus(url, dir, proc);
  }

  /** Replaces a job's targets (atomically, so Prometheus never reads half a file). */
  setTargets(jobName: string, groups: TargetGroup[]): void {
    const file = join(this.dir, 'sd', `${jobName.replaceAll('/', '_')}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(groups));
    renameSync(`${file}.tmp`, file);
  }

  async query(expr: string): Promise<Sample[]> {
    return this.api('query', { query: expr });
  }

  async queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<Sample[]> {
    return this.api('query_range', {
      query: expr,
      start: String(startS),
      end: String(endS),
      step: String(stepS),
    });
  }

  /** The scrape targets Prometheus knows, with their health. */
  async targets(): Promise<Array<{ labels: Record<string, string>; health: string; lastError: string }>> {
    const res = await fetch(`${this.url}/api/v1/targets?state=active`);
    const body = (await res.json()) as {
      data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> };
    };
    return body.data.activeTargets;
  }

  private async api(path: string, params: Record<string, string>): Promise<Sample[]> {
    const res = await fetch(`${this.url}/api/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${params.query}: ${body.error}`);
    return body.data!.result;
  }

  logTail(): string {
    return this.proc.logTail();
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
