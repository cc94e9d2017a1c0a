import { useCallback, useEffect, useState } from 'react';
import type { DeviceInfo, DeviceRequestInfo } from '../../src-shared/api/types';
import { api } from '../api';
import { BusyButton } from '../components/Busy';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { CompareFingerprint } from '../components/CompareFingerprint';
import { QrCode } from '../components/QrCode';
import { when } from '../time';

/**
 * This person's devices: link a new computer (a one-time code, also as a QR code; the new
 * device's fingerprint compared before it gets anything), see them, cut off a lost one.
 */
export function Devices() {
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setDevices(await api().devices.list());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <section className="card stack" aria-labelledby="devices-title">
      <h2 id="devices-title">Devices</h2>
      <p className="muted small">Each of your computers has its own keys and reads what you read. A lost one is cut off alone; you stay a member.</p>
      <ErrorNote error={error} />
      {devices?.length ? (
        <ul className="members">
          {devices.map((d) => (
            <DeviceRow key={d.fingerprint} device={d} onChange={load} />
          ))}
        </ul>
      ) : devices ? (
        <p className="empty">Devices are listed in the vaults you share; none yet.</p>
      ) : null}
      <LinkDevice onLinked={load} />
    </section>
  );
}

function DeviceRow({ device, onChange }: { device: DeviceInfo; onChange: () => Promise<void> }) {
  return (
    <li className="member" aria-label={device.name}>
      <div>
        <strong>{device.name}</strong>
        {device.you ? <span className="muted"> (this device)</span> : null}{' '}
        <span className="muted small">
          {device.addedAt === null ? 'your first device' : `linked ${when(device.addedAt)} by ${device.addedBy}`} ·{' '}
          {device.lastSeenAt === null ? 'no change yet' : `last change ${when(device.lastSeenAt)}`} · {device.vaults.length} vault{device.vaults.length === 1 ? '' : 's'}
        </span>
      </div>
      {device.you ? null : (
        <ConfirmAction
          label="Revoke"
          doing="revoking"
          name={device.name}
          busyLabel="Revoking and re-keying…"
          onConfirm={async () => {
            await api().devices.revoke({ fingerprint: device.fingerprint });
            await onChange();
          }}
        >
          Revoke {device.name}? The relay refuses it from now on and every key it held is replaced in {device.vaults.join(', ')}, so it reads nothing new.
          What it already read stays read: if it was lost or stolen, rotate those secrets at their providers.
        </ConfirmAction>
      )}
    </li>
  );
}

/** Make a code, then wait for the new device's request and compare its fingerprint before approving. */
function LinkDevice({ onLinked }: { onLinked: () => Promise<void> }) {
  const [link, setLink] = useState<{ code: string; vault: string; expiresAt: number } | null>(null);
  const [requests, setRequests] = useState<DeviceRequestInfo[]>([]);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function start() {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setLink(await api().devices.link({}));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  async function check() {
    setBusy(true);
    setError(null);
    try {
      setRequests(await api().devices.waiting());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  if (!link) {
    return (
      <>
        <BusyButton type="button" busy={busy} busyLabel="Making a code…" onClick={() => void start()}>
          Link a new device…
        </BusyButton>
        {done ? <p role="status">{done}</p> : null}
        <ErrorNote error={error} />
      </>
    );
  }
  return (
    <div className="stack" role="group" aria-label="Link a new device">
      <p>
        On the new computer, make a profile with your name, then run <code>tessera device add CODE --name NAME</code> with this code (valid until {when(link.expiresAt)}):
      </p>
      <QrCode text={link.code} label="Device link code as a QR code" />
      <textarea readOnly value={link.code} rows={3} aria-label="Device link code" onFocus={(e) => e.currentTarget.select()} />
      <BusyButton type="button" busy={busy} busyLabel="Looking for the new device…" onClick={() => void check()}>
        The new device shows its fingerprint
      </BusyButton>
      {requests.length === 0 ? null : (
        <ul className="members">
          {requests.map((r) => (
            <RequestRow
              key={r.fingerprint}
              request={r}
              onApproved={async (vaults) => {
                setLink(null);
                setRequests([]);
                setDone(`Linked ${r.name} to ${vaults.join(', ')}.`);
                await onLinked();
              }}
            />
          ))}
        </ul>
      )}
      <button type="button" onClick={() => setLink(null)}>
        Cancel
      </button>
      <ErrorNote error={error} />
    </div>
  );
}

/** The new device's request: Approve once the last group it shows is typed and matches. */
function RequestRow({ request, onApproved }: { request: DeviceRequestInfo; onApproved: (vaults: string[]) => Promise<void> }) {
  return (
    <li className="member" aria-label={`New device ${request.name}`}>
      <p>
        <strong>{request.name}</strong> asks to be linked. Compare every group with what it shows:
      </p>
      <CompareFingerprint
        name={request.name}
        fingerprint={request.fingerprint}
        inputLabel="Last group the new device shows"
        busyLabel="Linking to every vault…"
        mismatch="These digits do not match. Do not approve: this request is not from your new device."
        onApprove={async () => onApproved((await api().devices.approve({ name: request.name, fingerprint: request.fingerprint })).vaults)}
      />
    </li>
  );
}
