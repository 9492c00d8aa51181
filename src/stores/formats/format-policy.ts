import { UnsupportedMediaTypeError } from '../../common/errors/domain-errors.js';
import type { Detection } from './format-inspector.js';

/** The disk formats whose content Glint can recognise; others (ami, ari, aki, ploop…) it cannot. */
export const INSPECTABLE_FORMATS = new Set(['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso']);

export interface DeclaredFormats {
  diskFormat: string;
  containerFormat: string;
  /** [image_format] require_image_format_match. */
  requireMatch: boolean;
}

/** Whether uploaded data is inspected at all: Glance inspects only bare containers. */
export function shouldInspect(declared: Pick<DeclaredFormats, 'containerFormat'>): boolean {
  return declared.containerFormat === 'bare';
}

/**
 * Glance's (2024.2+) verdict on uploaded content, given what the stream showed:
 * - the detected format's safety checks always apply (a qcow2 with a backing file is refused even
 *   when declared raw or when format matching is off);
 * - with require_image_format_match, content must be the declared format, except that raw
 *   accepts anything and formats that cannot be inspected accept content recognised as nothing.
 * Returns the virtual size to record (null when it cannot be known).
 */
export function judgeImageFormat(
  detection: Detection,
  declared: DeclaredFormats,
  size: number,
): number | null {
  const detected = detection.format;
  if (detection.violations.length) {
    throw new UnsupportedMediaTypeError(
      `Image data failed the ${detected} safety check: ${detection.violations.join('; ')}.`,
    );
  }
  const wanted = declared.diskFormat;
  if (detected === wanted) return detected === 'raw' ? size : (detection.virtualSize ?? null);
  if (wanted === 'raw') return size;
  if (!INSPECTABLE_FORMATS.has(wanted)) {
    if (detected === 'raw' || !declared.requireMatch) return null;
    throw new UnsupportedMediaTypeError(
      `Image content is ${detected}, which does not match the declared disk_format ${wanted}.`,
    );
  }
  if (declared.requireMatch) {
    throw new UnsupportedMediaTypeError(
      `Image content ${detected === 'raw' ? 'is not recognised as' : `is ${detected}, not`} the declared disk_format ${wanted}.`,
    );
  }
  return detected === 'raw' ? null : (detection.virtualSize ?? null);
}
