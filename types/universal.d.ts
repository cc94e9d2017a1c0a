// The few globals every runtime Tessera targets provides (browsers, Node ≥ 18, Electron),
// declared for type-checking src-shared without the Node or DOM libraries.
interface TextEncoder {
  encode(input?: string): Uint8Array;
}
declare var TextEncoder: { new (): TextEncoder };
interface TextDecoder {
  decode(input?: Uint8Array): string;
}
declare var TextDecoder: { new (label?: string, options?: { fatal?: boolean }): TextDecoder };
