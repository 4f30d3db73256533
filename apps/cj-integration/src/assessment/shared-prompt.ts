/**
 * The part of the prompt every comparison of an assessment shares (assignment, criteria, instructions). It is
 * sent as `user_prompt`, apart from the two essays, so providers can cache it across the batch.
 */
export function buildSharedPrompt(input: {
  assignment: string;
  criteria: string;
  instructions: string | null;
}): string {
  const sections = [
    `## Assignment\n${input.assignment.trim()}`,
    `## Assessment criteria\n${input.criteria.trim()}`,
    ...(input.instructions ? [`## Instructions\n${input.instructions.trim()}`] : []),
  ];
  return sections.join('\n\n');
}
