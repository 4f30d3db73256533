import type { Request } from 'express';

/**
 * An admission that may still be under way while the request goes on (an individual submission's early admission,
 * SingleAdmission): kept on the request so that whatever answers it, the acceptance or an error answer, waits for
 * the admission's verdict first. Its refusal (a 429) is then the answer.
 */
interface RequestWithAdmission<T> extends Request {
  pendingAdmission?: Promise<T>;
}

export function keepAdmission<T>(req: Request, admission: Promise<T>): void {
  // Read (awaited) by whoever answers; never an unhandled rejection meanwhile.
  admission.catch(() => undefined);
  (req as RequestWithAdmission<T>).pendingAdmission = admission;
}

/** The request's admission, settled or still under way; undefined when it had none. */
export function admissionOf<T = unknown>(req: Request): Promise<T> | undefined {
  return (req as RequestWithAdmission<T>).pendingAdmission;
}
