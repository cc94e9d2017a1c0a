// The few sodium-native functions Tessera calls (the published @types package is years behind).
declare module 'sodium-native' {
  export function crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  export function crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  export function randombytes_buf(buf: Uint8Array): void;
  export function crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  export function crypto_box_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): void;
  export function crypto_box_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean;
  export function crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  export function crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  export function crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
}
