/** A fingerprint as digit groups, laid out to be read aloud group by group. */
export function Fingerprint({ value, label }: { value: string; label: string }) {
  const groups = value.split(/\s+/).filter(Boolean);
  return (
    <p className="fingerprint" aria-label={`${label}: ${value}`}>
      {groups.map((g, i) => (
        <span key={i} className="fingerprint__group">
          {g}
        </span>
      ))}
    </p>
  );
}
