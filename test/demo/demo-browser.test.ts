// The demo page in real headless Chromium against a real 6-agent demo: the matrix converges to all
// alive, a kill clicked on the page turns that column dead for every live observer, and an event
// fired from the page is seen arriving at every live observer. Leaves test-artifacts/demo.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningDemo, startDemo } from '../../src/demo/demo.js';
import { isAlive, waitFor } from './wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const NODES = 6;
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

describe('demo: the page in headless Chromium', function () {
  this.timeout(180_000);
  let demo: RunningDemo;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip();
    demo = await startDemo({ nodes: NODES, host: '127.0.0.1', port: 0 });
    profile = mkdtempSync(join(tmpdir(), 'grapevine-demo-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 960 },
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await demo.ready;
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (!demo) return;
    const pids = demo.fleet.agents().flatMap((a) => (a.pid ? [a.pid] : []));
    await demo.stop();
    for (const pid of pids) expect(isAlive(pid), `agent pid ${pid} after stop`).to.equal(false);
  });

  const cellStates = () =>
    page.$$eval('td.cell', (cells) =>
      cells.map((c) => ({
        observer: c.getAttribute('data-observer') ?? '',
        member: c.getAttribute('data-member') ?? '',
        state: c.getAttribute('data-state') ?? '',
      })),
    );

  it('shows every agent alive in every observer’s row', async () => {
    await page.goto(demo.url);
    const cells = await waitFor(
      'every cell of the matrix to be alive',
      cellStates,
      (cells) => cells.length === NODES * NODES && cells.every((c) => c.state === 'alive'),
      30_000,
    );
    expect(cells).to.have.length(NODES * NODES);
    expect(new Set(cells.map((c) => c.observer)).size).to.equal(NODES);
    expect(await page.textContent('#summary')).to.match(/running\s*6/);
  });

  it('kill clicked on the page turns that column dead for every live observer', async () => {
    const victim = 'demo-04';
    const pid = demo.fleet.agent(victim).pid;
    await page.click(`button[data-agent="${victim}"][data-action="kill"]`);
    await waitFor(
      `the ${victim} column to turn dead in every other row`,
      cellStates,
      (cells) =>
        cells.filter((c) => c.member === victim && c.observer !== victim).every((c) => c.state === 'dead'),
      30_000,
    );
    expect(demo.fleet.agent(victim).state).to.equal('killed');
    expect(isAlive(pid!)).to.equal(false);
    const after = await cellStates();
    // The killed agent's own row is unreachable; every other cell is still alive.
    expect(after.filter((c) => c.observer === victim).every((c) => c.state === 'unreachable')).to.equal(true);
    const others = after.filter((c) => c.observer !== victim && c.member !== victim);
    expect(others.every((c) => c.state === 'alive')).to.equal(true);
    expect(await page.isDisabled(`button[data-agent="${victim}"][data-action="kill"]`)).to.equal(true);
    expect(await page.isEnabled(`button[data-agent="${victim}"][data-action="restart"]`)).to.equal(true);
  });

  it('an event fired from the page is seen arriving at every live observer', async () => {
    await page.click('#fire');
    const live = demo.fleet
      .agents()
      .filter((a) => a.state === 'running')
      .map((a) => a.name);
    expect(live).to.have.length(NODES - 1);
    const infected = await waitFor(
      'the infection to reach every live observer',
      () =>
        page.$$eval('#infection-list li.infected', (lis) =>
          lis.map((li) => ({
            observer: li.getAttribute('data-observer'),
            hops: Number(li.getAttribute('data-hops')),
          })),
        ),
      (list) => list.length === live.length,
      15_000,
      100,
    );
    expect(infected.map((i) => i.observer).sort()).to.deep.equal(live);
    expect(infected.filter((i) => i.hops === 0)).to.have.length(1); // the origin
    const summary = await page.$eval('#infection-summary', (e) => ({
      infected: e.getAttribute('data-infected'),
      expected: e.getAttribute('data-expected'),
    }));
    expect(summary).to.deep.equal({ infected: '5', expected: '5' });
    // Each live row of the matrix carries the hop count too.
    const badges = await page.$$eval('tbody tr', (rows) =>
      rows.map((r) => [r.getAttribute('data-agent'), r.querySelector('.hop-badge')?.textContent ?? null]),
    );
    for (const [name, hops] of badges) {
      if (live.includes(name as string)) expect(hops, `hop badge of ${name}`).to.match(/^\d+$/);
      else expect(hops).to.equal(null);
    }
  });

  it('renders without script errors and saves a screenshot', async () => {
    await page.waitForTimeout(1_200); // let the animations settle for the picture
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = new URL('demo.png', ARTIFACTS);
    await page.screenshot({ path: path.pathname, fullPage: true });
    expect(existsSync(path)).to.equal(true);
    expect(pageErrors).to.deep.equal([]);
  });
});
