/**
 * A labelled <select> over plain choices (environments, vaults): `options` as [value, label]
 * pairs or bare values, with an optional first choice such as "All vaults" (value '').
 */
export function Choice({ label, value, onChange, options, any }: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly (string | readonly [value: string, label: string])[];
  /** A first choice meaning "no filter": its label; its value is ''. */
  any?: string;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {any !== undefined ? <option value="">{any}</option> : null}
        {options.map((o) => {
          const [v, l] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={v} value={v}>
              {l}
            </option>
          );
        })}
      </select>
    </label>
  );
}
