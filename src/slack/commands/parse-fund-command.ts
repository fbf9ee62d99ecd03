export type FundCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'fund'; readonly milestoneId: string; readonly note: string | null }
  | { readonly kind: 'invalid'; readonly problem: string };

const milestoneIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const maxNoteLength = 500;
const milestoneParams = ['milestoneId', 'milestone_id', 'milestone'];

/**
 * Reads `/fund-milestone <milestone id or OpenTrain link> [note]`. The app is installed with should_escape,
 * so a pasted link arrives as <https://…> or <https://…|label>; both are unwrapped here.
 */
export function parseFundCommand(text: string): FundCommand {
  const trimmed = text.trim();
  if (trimmed === '' || /^(help|-h|--help|\?)$/i.test(trimmed)) return { kind: 'help' };
  const [first = '', ...rest] = trimmed.split(/\s+/);
  const note = trimmed.slice(first.length).trim();
  if (note.length > maxNoteLength) {
    return {
      kind: 'invalid',
      problem: `The note is ${note.length} characters long; keep it under ${maxNoteLength}.`,
    };
  }
  const target = unwrapSlackLink(first);
  const milestoneId = /^https?:\/\//i.test(target) ? milestoneIdFromUrl(target) : target;
  if (milestoneId === undefined) {
    return {
      kind: 'invalid',
      problem:
        'That link does not contain a milestone id. Open the milestone in OpenTrain and paste its id (like M-1001) or its link.',
    };
  }
  if (!milestoneIdPattern.test(milestoneId)) {
    return {
      kind: 'invalid',
      problem: `"${milestoneId.slice(0, 40)}" does not look like a milestone id (letters, digits, - and _ only, like M-1001).`,
    };
  }
  return { kind: 'fund', milestoneId, note: rest.length === 0 ? null : note };
}

function unwrapSlackLink(token: string): string {
  const match = /^<([^|>]+)(\|[^>]*)?>$/.exec(token);
  return match?.[1] ?? token;
}

/** Finds the id in links such as …/milestones/M-1001, …/contracts/C-1/milestones/M-1001/fund or ?milestoneId=M-1001. */
function milestoneIdFromUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  for (const name of milestoneParams) {
    const value = url.searchParams.get(name);
    if (value) return value;
  }
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const index = segments.lastIndexOf('milestones');
  const id = index >= 0 ? segments[index + 1] : undefined;
  return id === undefined ? undefined : decodeURIComponent(id);
}
