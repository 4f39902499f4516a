import { Fragment } from "react";

/** A distinguished name that wraps after its commas rather than mid-word. */
export function Dn({ value, className = "" }: { value: string; className?: string }) {
  const parts = value.split(",");
  return (
    <span className={`font-mono break-words ${className}`}>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              ,<wbr />
            </>
          )}
        </Fragment>
      ))}
    </span>
  );
}
