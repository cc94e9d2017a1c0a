/**
 * A fieldset of checkboxes choosing some of `options` (the environments a member or a
 * machine token may read): `chosen` keeps the order the user checked them in.
 */
export function Checks({ legend, options, chosen, onChange }: {
  legend: string;
  options: readonly string[];
  chosen: readonly string[];
  onChange: (chosen: string[]) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option} className="check">
          <input
            type="checkbox"
            checked={chosen.includes(option)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, option] : chosen.filter((x) => x !== option))}
          />
          {option}
        </label>
      ))}
    </fieldset>
  );
}
