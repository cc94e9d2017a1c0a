/**
 * How findings are shown: a line each for people, JSON for scripts, SARIF 2.1.0 for code
 * scanning dashboards (GitHub, GitLab, Azure DevOps). All three carry the same facts:
 * file, line, rule, redacted excerpt, fingerprint and, for vault values, which secret.
 */
import { RULES } from './rules';
import { VAULT_RULE } from './scan-content';

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly rule: string;
  readonly description: string;
  readonly excerpt: string;
  readonly fingerprint: string;
  /** For a vault value: which secret, and how it was written (plain, base64, url…). */
  readonly secret?: { readonly vault: string; readonly environment: string; readonly name: string; readonly encoding: string };
  /** For history scans: the commit that added the blob. */
  readonly commit?: string;
}

export const VAULT_RULE_DESCRIPTION = 'The value of one of your vault secrets';

export function ruleDescription(rule: string): string {
  return rule === VAULT_RULE ? VAULT_RULE_DESCRIPTION : (RULES.find((r) => r.id === rule)?.description ?? rule);
}

export function formatHuman(findings: readonly Finding[]): string {
  return findings
    .map((f) => {
      const what = f.secret ? `${f.secret.vault}/${f.secret.environment}/${f.secret.name}${f.secret.encoding !== 'plain' ? ` (${f.secret.encoding})` : ''}` : f.description;
      const where = `${f.file}:${f.line}:${f.column}${f.commit ? ` in ${f.commit.slice(0, 12)}` : ''}`;
      return `${where}  ${f.rule}  ${what}\n    ${f.excerpt}\n    fingerprint:${f.fingerprint}\n`;
    })
    .join('');
}

export function toSarif(findings: readonly Finding[], version: string): object {
  const ruleIds = [...new Set([VAULT_RULE, ...RULES.map((r) => r.id)])];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tessera',
            version,
            rules: ruleIds.map((id) => ({
              id,
              name: id,
              shortDescription: { text: ruleDescription(id) },
              defaultConfiguration: { level: 'error' },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: ruleIds.indexOf(f.rule),
          level: 'error',
          message: {
            text: f.secret
              ? `The value of ${f.secret.vault}/${f.secret.environment}/${f.secret.name} (${f.secret.encoding}): ${f.excerpt}`
              : `${f.description}: ${f.excerpt}`,
          },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.file) },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          partialFingerprints: { 'tessera/v1': f.fingerprint },
          ...(f.commit ? { properties: { commit: f.commit } } : {}),
        })),
      },
    ],
  };
}
