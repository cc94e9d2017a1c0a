/**
 * Every API call by name, without the schemas: the preload and the renderer build their
 * client from this list and so carry no validation library; main validates with schemas.ts
 * (a test checks the two lists agree).
 */
import type { Domain, TesseraApi } from './types';

/** The IPC channels between preload and main: calls (invoke) and events pushed to the page. */
export const CHANNELS = { invoke: 'tessera:invoke', event: 'tessera:event' } as const;

export const API_METHODS = {
  session: ['status', 'setup', 'unlock', 'lock', 'touch'],
  vaults: ['list', 'create', 'sync', 'setRelay'],
  secrets: ['list', 'get', 'reveal', 'set', 'update', 'history', 'remove', 'importPreview', 'importApply', 'importFilePreview', 'importFileApply', 'rotate', 'rollback', 'retire', 'restore', 'setPolicy', 'setRotator'],
  clipboard: ['copy', 'clear', 'status'],
  members: ['list', 'invite', 'join', 'completeJoins', 'pending', 'approve', 'remove'],
  tokens: ['list', 'create', 'revoke'],
  devices: ['list', 'link', 'waiting', 'approve', 'revoke'],
  audit: ['list', 'alerts', 'export'],
  health: ['report'],
  settings: ['get', 'set'],
  app: ['version', 'openExternal'],
} as const satisfies { [D in Domain]: readonly (keyof TesseraApi[D])[] };

/** "domain.method" for every call, e.g. "secrets.reveal". */
export type Method = { [D in Domain]: `${D}.${Extract<keyof TesseraApi[D], string>}` }[Domain];

export const methods: readonly Method[] = Object.entries(API_METHODS).flatMap(([d, ms]) => ms.map((m) => `${d}.${m}` as Method));
