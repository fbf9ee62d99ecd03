/**
 * What an OpenTrain id looks like (M-1001, A-2002, a cuid or a UUID): a letter or digit, then letters, digits,
 * `-` and `_`, 128 characters at most. Every id Countersign puts in a request path to OpenTrain is one, whether
 * a person typed it or OpenTrain sent it: an answer holding anything else is not trusted with a request.
 */
export const openTrainIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isOpenTrainId(value: unknown): value is string {
  return typeof value === 'string' && openTrainIdPattern.test(value);
}
