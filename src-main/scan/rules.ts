/**
 * Well-known secret formats. Patterns follow the providers' documented token formats (and
 * the community rule sets of gitleaks and secretlint where the provider says nothing).
 *
 * Each rule names literal `keywords` that every match contains: a file without any of
 * them skips the rule's regex altogether, which is where most of the scanner's speed comes
 * from. Patterns run on the file decoded as latin1 (one character per byte), so offsets
 * are byte offsets.
 */

export interface Rule {
  readonly id: string;
  readonly description: string;
  /** Case-sensitive literals; at least one must occur for the regex to run. */
  readonly keywords: readonly string[];
  /** Global regex; the secret is group 1 when there is one, else the whole match. */
  readonly pattern: RegExp;
  /** How many leading characters are a public prefix (shown in excerpts): `ghp_`, `AKIA`. */
  readonly visiblePrefix: number;
  /** Minimum Shannon entropy (bits per character) the secret must have. */
  readonly minEntropy?: number;
  /**
   * Which hit wins where two overlap (lower first; a vault value is 0): a whole credential
   * file (1) over a key inside it, a format (2, the default) over the generic rule (3).
   */
  readonly rank?: number;
}

const END = '(?![A-Za-z0-9_-])';

export const RULES: readonly Rule[] = [
  {
    id: 'aws-access-key-id',
    description: 'AWS access key ID',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: /\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Z0-9])/g,
    visiblePrefix: 4,
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    keywords: ['aws', 'AWS', 'Aws'],
    pattern: /aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    visiblePrefix: 0,
    minEntropy: 3.5,
  },
  {
    id: 'github-token',
    description: 'GitHub token',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    pattern: new RegExp(`\\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})${END}`, 'g'),
    visiblePrefix: 4,
  },
  {
    id: 'github-fine-grained-token',
    description: 'GitHub fine-grained personal access token',
    keywords: ['github_pat_'],
    pattern: new RegExp(`\\b(github_pat_[A-Za-z0-9_]{82})${END}`, 'g'),
    visiblePrefix: 11,
  },
  {
    id: 'gitlab-token',
    description: 'GitLab token',
    keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glcbt-'],
    pattern: new RegExp(`\\b((?:glpat|gldt|glrt|glptt|glcbt)-[A-Za-z0-9_-]{20,})${END}`, 'g'),
    visiblePrefix: 6,
  },
  {
    id: 'slack-token',
    description: 'Slack token',
    keywords: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxe'],
    pattern: /\b(xox(?:[baprs]|e(?:\.xox[bp])?)-[0-9A-Za-z-]{10,250})/g,
    visiblePrefix: 5,
  },
  {
    id: 'slack-webhook',
    description: 'Slack incoming webhook URL',
    keywords: ['hooks.slack.com'],
    pattern: /(https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9+/]{20,})/g,
    visiblePrefix: 23,
  },
  {
    id: 'stripe-key',
    description: 'Stripe secret or restricted key',
    keywords: ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_'],
    pattern: new RegExp(`\\b((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,247})${END}`, 'g'),
    visiblePrefix: 8,
  },
  {
    id: 'google-api-key',
    description: 'Google API key',
    keywords: ['AIza'],
    pattern: new RegExp(`\\b(AIza[0-9A-Za-z_-]{35})${END}`, 'g'),
    visiblePrefix: 4,
  },
  {
    id: 'openai-api-key',
    description: 'OpenAI API key',
    keywords: ['sk-proj-', 'sk-svcacct-', 'sk-admin-', 'T3BlbkFJ'],
    pattern: new RegExp(`\\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,300}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})${END}`, 'g'),
    visiblePrefix: 3,
  },
  {
    id: 'anthropic-api-key',
    description: 'Anthropic API key',
    keywords: ['sk-ant-'],
    pattern: new RegExp(`\\b(sk-ant-(?:api|admin)\\d{2}-[A-Za-z0-9_-]{80,120})${END}`, 'g'),
    visiblePrefix: 7,
  },
  {
    id: 'twilio-api-key',
    description: 'Twilio API key',
    keywords: ['SK'],
    pattern: /\b(SK[0-9a-f]{32})\b/g,
    visiblePrefix: 2,
  },
  {
    id: 'sendgrid-api-key',
    description: 'SendGrid API key',
    keywords: ['SG.'],
    pattern: new RegExp(`\\b(SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43})${END}`, 'g'),
    visiblePrefix: 3,
  },
  {
    id: 'npm-token',
    description: 'npm access token',
    keywords: ['npm_'],
    pattern: new RegExp(`\\b(npm_[A-Za-z0-9]{36})${END}`, 'g'),
    visiblePrefix: 4,
  },
  {
    id: 'pypi-token',
    description: 'PyPI upload token',
    keywords: ['pypi-AgEIcHlwaS5vcmc'],
    pattern: new RegExp(`\\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})${END}`, 'g'),
    visiblePrefix: 5,
  },
  {
    id: 'gcp-service-account',
    description: 'Google Cloud service-account key file',
    keywords: ['service_account'],
    // The whole JSON object (the file, as the console downloads it): "type":
    // "service_account" and a PEM "private_key", in either order. It is flat, so no brace
    // comes between its own; ranked above the key inside it and the key id beside it.
    pattern: /(\{(?=[^{}]*"type"\s*:\s*"service_account")(?=[^{}]*"private_key"\s*:\s*"-----BEGIN[ A-Z]{0,20}PRIVATE KEY-----)[^{}]*\})/g,
    visiblePrefix: 0,
    rank: 1,
  },
  {
    id: 'private-key',
    description: 'Private key (PEM or OpenSSH)',
    keywords: ['PRIVATE KEY'],
    // The body's line breaks as they are, or written as \n (\r\n) inside a JSON, .env or
    // source-code string, or as \\n in a string holding such a string.
    pattern: /(-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,-]|\\{1,2}[nr]){64,}?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----)/g,
    visiblePrefix: 0,
  },
  {
    id: 'jwt',
    description: 'JSON Web Token',
    keywords: ['eyJ'],
    pattern: /\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})/g,
    visiblePrefix: 0,
  },
  {
    id: 'generic-secret-assignment',
    description: 'High-entropy value assigned to a secret-looking name',
    // Lower-, upper- and title-case of each word, so that the check stays case-sensitive.
    keywords: ['key', 'KEY', 'Key', 'secret', 'SECRET', 'Secret', 'token', 'TOKEN', 'Token', 'passw', 'PASSW', 'Passw', 'pwd', 'PWD', 'auth', 'AUTH', 'Auth', 'credential', 'CREDENTIAL', 'Credential'],
    // A key's id (`private_key_id`, `api_key_id`) names a key and unlocks nothing.
    pattern:
      /(?:key|secret|token|passw(?:or)?d|pwd|auth|credential)[A-Za-z0-9_.-]{0,20}(?<!key[_.-]?id)["']?\s{0,5}(?::=|=>|=|:)\s{0,5}["'`]?([A-Za-z0-9+/=_.~!@#%^&*-]{16,128})(?![A-Za-z0-9+/=_.~!@#%^&*-])/gi,
    visiblePrefix: 0,
    minEntropy: 3.7,
    rank: 3,
  },
];

/** Shannon entropy of s in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) counts.set(s.charCodeAt(i), (counts.get(s.charCodeAt(i)) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Whether a generic assignment's value looks like a real secret rather than code: it mixes
 * letters and digits, and is not a reference, a path or a placeholder.
 */
export function looksLikeSecretValue(v: string): boolean {
  if (!/[0-9]/.test(v) || !/[A-Za-z]/.test(v)) return false;
  if (/^(?:process\.env|os\.environ|env\.|\$\{|\$[A-Z_])/.test(v)) return false;
  if (/^[a-z]+(?:[._-][a-z]+)+$/i.test(v)) return false; // dotted.identifiers.like.this
  if (/x{6,}|\*{4,}|<[^>]*>|(?:example|placeholder|changeme|redacted)/i.test(v)) return false;
  return true;
}
