import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { networkSettings, unlistedPrivateWarning } from '../../../src/config/network-settings.js';

const MIN = '[component]\njid = "irc.localhost"\nsecret = "s"\n';
const cfg = (toml: string) => parseConfig(MIN + toml, 'f.toml');

describe('networkSettings (issue 8 §5)', () => {
  it('lets an unlisted network reach a private address only with the global flag, and warns', () => {
    const open = cfg('[irc]\nallow_unlisted = true\nallow_private_addresses = true\n[irc.networks."lab.example"]\nallow_private_addresses = false\n');
    expect(networkSettings(open, 'lab.example')?.allowPrivateAddresses).toBe(false);
    expect(networkSettings(open, 'anything.example')?.allowPrivateAddresses).toBe(true);
    expect(networkSettings(open, 'anything.example')?.userPorts).toEqual([]);
    expect(unlistedPrivateWarning(open)).toMatch(/any user/);
    const closed = cfg('[irc]\nallow_unlisted = true\n');
    expect(networkSettings(closed, 'anything.example')?.allowPrivateAddresses).toBe(false);
    expect(unlistedPrivateWarning(closed)).toBeUndefined();
  });

  it('takes the network’s own flag and its user ports', () => {
    const c = cfg('[irc.networks."a.example"]\nallow_private_addresses = true\nuser_ports = [6667, 7000]\n[irc.networks."b.example"]\n');
    expect(networkSettings(c, 'a.example')).toMatchObject({ allowPrivateAddresses: true, userPorts: [6667, 7000] });
    expect(networkSettings(c, 'b.example')).toMatchObject({ allowPrivateAddresses: false, userPorts: [] });
    expect(networkSettings(c, 'c.example')).toBeUndefined();
  });
});
