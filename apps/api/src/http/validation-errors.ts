import type { ValidationError } from 'class-validator';
import { ApiError } from './api-error.js';

export interface FieldProblem {
  field: string;
  problems: string[];
}

const MAX_REPORTED = 20;

/** Flattens class-validator's tree into `comparisons[3].essay_a`-style paths, depth first, in input order. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const error of errors) {
    const field = joinPath(parent, error.property);
    if (error.constraints) out.push({ field, problems: Object.values(error.constraints) });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/** The 400 for a body that failed validation: names the first offending field, lists up to 20. */
export function validationApiError(errors: ValidationError[]): ApiError {
  const problems = flattenValidationErrors(errors).filter((p) => p.field !== '');
  if (problems.length === 0) return ApiError.invalid(undefined, 'Request body must be a JSON object');
  const [first] = problems;
  return ApiError.invalid(first.field, `${first.field}: ${first.problems.join('; ')}`, {
    errors: problems.slice(0, MAX_REPORTED),
    error_count: problems.length,
  });
}

function joinPath(parent: string, property: string | undefined): string {
  if (property === undefined || property === '') return parent;
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}
