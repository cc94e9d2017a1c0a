/** The fake bridge's devices: what main's devices domain answers, in memory. Tests only. */
import type { DeviceInfo, DeviceRequestInfo } from '../../src-shared/api/types';
import { refuse } from './fake-model';

export class FakeDevices {
  readonly devices: DeviceInfo[];
  /** New devices that asked under a link code; a test adds them with `ask`. */
  readonly requests: DeviceRequestInfo[] = [];
  private links = 0;

  constructor(me: { memberId: string; fingerprint: string }, private readonly vaultNames: () => string[]) {
    this.devices = [{ name: 'first device', fingerprint: me.fingerprint, memberId: me.memberId, addedAt: null, addedBy: '', you: true, lastSeenAt: null, vaults: vaultNames() }];
  }

  /** A new computer sends its request (as `tessera device add CODE` would). */
  ask(name: string, fingerprint: string): void {
    this.requests.push({ name, fingerprint, vault: this.vaultNames()[0] ?? '' });
  }

  call(method: string, req: Record<string, unknown>, now: number): unknown {
    switch (method) {
      case 'list':
        return this.devices.map((d) => ({ ...d, vaults: d.you ? this.vaultNames() : [...d.vaults] })); // this device is in every shared vault
      case 'link': {
        const vault = (req.vault as string | undefined) ?? this.vaultNames()[0];
        if (!vault) refuse('NO_RELAY', 'A new device meets this one through a relay: share a vault first');
        return { code: `tessera-device-1.FAKE${++this.links}`, vault, expiresAt: now + 3_600_000 };
      }
      case 'waiting':
        return [...this.requests];
      case 'approve': {
        const i = this.requests.findIndex((r) => r.name === req.name && r.fingerprint === req.fingerprint);
        if (i < 0) refuse('FINGERPRINT_MISMATCH', 'No request from that device with that fingerprint');
        const [r] = this.requests.splice(i, 1);
        this.devices.push({ name: r!.name, fingerprint: r!.fingerprint, memberId: `d${this.devices.length}`, addedAt: now, addedBy: 'first device', you: false, lastSeenAt: null, vaults: this.vaultNames() });
        return { name: r!.name, vaults: this.vaultNames() };
      }
      case 'revoke': {
        const i = this.devices.findIndex((d) => d.fingerprint === req.fingerprint);
        if (i < 0) refuse('NOT_FOUND', 'No such device');
        if (this.devices[i]!.you) refuse('INVALID_INPUT', 'That is the device you are on');
        const [d] = this.devices.splice(i, 1);
        return { vaults: d!.vaults };
      }
    }
    return refuse('INTERNAL', `unknown devices call ${method}`);
  }
}
