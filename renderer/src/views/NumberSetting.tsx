/** A number input that commits a clamped value on blur, and only when it changed. */
export function NumberSetting({
  id,
  value,
  min,
  max,
  label,
  onCommit,
}: {
  id?: string;
  value: number;
  min: number;
  max: number;
  label?: string;
  onCommit: (value: number) => void;
}) {
  return (
    <input
      id={id}
      type="number"
      min={min}
      max={max}
      defaultValue={value}
      aria-label={label}
      className="narrow"
      onBlur={(e) => {
        const next = Math.max(min, Math.min(max, Number(e.target.value)));
        if (Number.isFinite(next) && next !== value) onCommit(next);
      }}
    />
  );
}
