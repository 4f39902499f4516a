import "server-only";
/*
 * The one part of a Windows security descriptor Interim touches: the SE_DACL_PROTECTED flag of a
 * self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6). AdminSDHolder's SDProp sets it on members of
 * protected groups ("inheritance disabled"); clearing it lets the object inherit from its parent
 * again, which the DC applies when the descriptor is written back.
 */

/** Control flags: SE_SELF_RELATIVE (0x8000) must be set; SE_DACL_PROTECTED is 0x1000. */
const SE_SELF_RELATIVE = 0x8000;
const SE_DACL_PROTECTED = 0x1000;
const MIN_LENGTH = 20; // revision, sbz1, control, four offsets

function control(sd: Buffer): number {
  if (sd.length < MIN_LENGTH) throw new RangeError(`A security descriptor has at least ${MIN_LENGTH} bytes, got ${sd.length}`);
  if (sd[0] !== 1) throw new RangeError(`Unknown security descriptor revision ${sd[0]}`);
  const flags = sd.readUInt16LE(2);
  if ((flags & SE_SELF_RELATIVE) === 0) throw new RangeError("Not a self-relative security descriptor");
  return flags;
}

export function isDaclProtected(sd: Buffer): boolean {
  return (control(sd) & SE_DACL_PROTECTED) !== 0;
}

/** A copy with inheritance allowed again (the DACL's explicit entries are kept as they are). */
export function allowDaclInheritance(sd: Buffer): Buffer {
  const flags = control(sd);
  const copy = Buffer.from(sd);
  copy.writeUInt16LE(flags & ~SE_DACL_PROTECTED, 2);
  return copy;
}
