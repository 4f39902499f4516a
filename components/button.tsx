"use client";

import type { ButtonHTMLAttributes } from "react";
import { buttonClass, type ButtonVariant } from "./button-styles";
import { useHydrated } from "./use-hydrated";

export { buttonClass, type ButtonVariant };

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  /** Shows a spinner and disables the button while a mutation runs. */
  pending?: boolean;
}

export function Button({ variant = "secondary", pending = false, disabled, className = "", type = "button", children, ...rest }: ButtonProps) {
  const hydrated = useHydrated();
  return (
    <button type={type} className={buttonClass(variant, className)} disabled={disabled || pending || !hydrated} aria-busy={pending || undefined} {...rest}>
      {pending && <Spinner />}
      {children}
    </button>
  );
}

export function Spinner() {
  return <span aria-hidden="true" className="size-3.5 animate-spin rounded-full border-2 border-current border-r-transparent" />;
}
