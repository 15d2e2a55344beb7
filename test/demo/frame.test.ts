// The demo's screen from the emulator's state: what it shows of the twin and the telemetry, and how it
// reaches a terminal (redrawn in place) or a pipe (snapshots).
import { describe, expect, it } from 'vitest';
import { renderFrame } from '../../demo/frame.js';
import { createScreen, wrapLine } from '../../demo/terminal.js';
import type { CapturedMessage } from '../support/emulator/index.js';

const LONG_REASON =
  'contosostore.privatelink.blob.core.windows.net resolves to public 203.0.113.10 via DNS server 127.0.0.1:53: link the private DNS zone ' +
  "privatelink.blob.core.windows.net to the network's virtual network and make the on-premises resolver forward blob.core.windows.net " +
  'to the Azure DNS Private Resolver';

const reported = {
  status: { overall: 'unhealthy', summary: '1 of 2 targets unhealthy: blob (DNS_PUBLIC_ADDRESS)', runCount: 2 },
  results: {
    iothub: {
      status: 'healthy',
      code: 'OK',
      reason: 'port 8883: TLS verified',
      host: 'hub.privatelink.azure-devices.net',
    },
    // The twin keeps 200 bytes of a reason.
    blob: {
      status: 'unhealthy',
      code: 'DNS_PUBLIC_ADDRESS',
      reason: `${LONG_REASON.slice(0, 199)}…`,
      host: 'contosostore.privatelink.blob.core.windows.net',
    },
  },
  targets: { value: {}, ac: 200, av: 2, ad: 'applied' },
};

function message(output: string, body: unknown, properties: Record<string, string> = {}): CapturedMessage {
  return {
    output,
    body,
    properties,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    systemProperties: {},
    topic: '',
    size: 0,
  };
}

const messages = [
  message(
    'probeResults',
    {
      runId: '00000000-0000-4000-8000-000000000002',
      overall: 'unhealthy',
      targets: [
        { name: 'iothub', code: 'OK', status: 'healthy', reason: 'port 8883: TLS verified' },
        { name: 'blob', code: 'DNS_PUBLIC_ADDRESS', status: 'unhealthy', reason: LONG_REASON },
      ],
    },
    { schema: 'privatelink-probe/result@1', overall: 'unhealthy' },
  ),
  message('alerts', { target: 'blob', from: 'unknown', to: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' }),
];

describe('the demo frame', () => {
  const lines = renderFrame({
    header: ['demo'],
    narration: { step: 2, of: 4, title: 'Blob', paragraphs: ['why'] },
    reported,
    messages,
    colour: false,
  });

  it('shows the step, one row per reported target, and the whole reason (from the telemetry) of the one not healthy', () => {
    expect(lines).toContain('Step 2/4 · Blob');
    expect(lines).toContain('  iothub  hub.privatelink.azure-devices.net               healthy    OK');
    expect(lines).toContain('  blob    contosostore.privatelink.blob.core.windows.net  unhealthy  DNS_PUBLIC_ADDRESS');
    expect(lines).toContain(`  blob: ${LONG_REASON}`);
    expect(lines.filter((l) => l.startsWith('  iothub:'))).toEqual([]);
  });

  it('shows the acknowledgements, the last probeResults message and the alerts', () => {
    expect(lines).toContain('  targets  200  2   applied');
    expect(lines).toContain(
      '  runId 00000000-0000-4000-8000-000000000002 · overall unhealthy · properties schema=privatelink-probe/result@1, overall=unhealthy',
    );
    expect(lines).toContain('  blob  unknown  →  unhealthy  DNS_PUBLIC_ADDRESS');
  });

  it('says the first run is under way before the twin has a status', () => {
    const empty = renderFrame({ header: [], reported: {}, messages: [], colour: false });
    expect(empty.join('\n')).toContain("no reported status yet: the module's first run is under way");
  });

  it('colours the status words only when asked', () => {
    const coloured = renderFrame({ header: [], reported, messages, colour: true }).join('\n');
    expect(coloured).toContain('\x1b[31munhealthy');
    expect(coloured).toContain('\x1b[32mhealthy');
    expect(lines.join('\n')).not.toContain('\x1b[');
  });
});

describe('the demo terminal', () => {
  it('wraps a long line to the width at word boundaries, continuing indented, losing no word', () => {
    const wrapped = wrapLine(`  blob: ${LONG_REASON}`, 60);
    expect(wrapped.length).toBeGreaterThan(1);
    for (const line of wrapped) expect(line.length).toBeLessThanOrEqual(60);
    expect(wrapped.slice(1).every((l) => l.startsWith('    '))).toBe(true);
    expect(wrapped.join(' ').split(/ +/).filter(Boolean)).toEqual(`blob: ${LONG_REASON}`.split(' '));
  });

  it('prints only snapshots, one after another, to a pipe', () => {
    let written = '';
    const screen = createScreen({ write: (t: string) => (written += t) }, false);
    screen.update(['in between']);
    screen.snapshot(['first']);
    screen.snapshot(['second']);
    screen.close();
    expect(written).toBe('first\n\nsecond\n');
  });

  it('redraws a terminal in place, skipping a frame identical to the one shown, and gives the cursor back', () => {
    const writes: string[] = [];
    const screen = createScreen({ write: (t: string) => writes.push(t), columns: 80 }, true);
    screen.update(['one']);
    screen.update(['one']);
    screen.snapshot(['two']);
    screen.close();
    expect(writes).toHaveLength(3);
    expect(writes[0]!.startsWith('\x1b[?25l\x1b[2J\x1b[Hone')).toBe(true);
    expect(writes[1]).toBe('\x1b[Htwo\x1b[K\n\x1b[J');
    expect(writes[2]).toBe('\x1b[?25h');
  });
});
