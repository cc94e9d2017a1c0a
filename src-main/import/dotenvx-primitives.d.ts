// @dotenvx/primitives ships no type declarations; these are the calls Tessera makes.
declare module '@dotenvx/primitives' {
  /** Decrypts an `encrypted:…` value; throws (code WRONG_PRIVATE_KEY, INVALID_PRIVATE_KEY…) otherwise. */
  export function decrypt(privateKey: string, value: string): string;
  export function encrypt(publicKey: string, value: string): string;
  /** Whether a value carries the `encrypted:` prefix. */
  export function encrypted(value: string): boolean;
  /** The compressed public key (hex) of a private key. */
  export function derive(privateKey: string): string;
  export function keypair(privateKey?: string): { publicKey: string; privateKey: string };
}
