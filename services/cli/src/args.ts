import { InvalidArgumentError } from 'commander';
import { SCOPE_PATTERN } from '@ifreg/domain';

/** Argument parsers: a bad value is a usage error (exit 2) with commander's message. */
export const integer =
  (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`'${value}' is not a whole number.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is out of range ${min}..${max}.`);
    return n;
  };

export function scope(value: string): string {
  if (!SCOPE_PATTERN.test(value)) throw new InvalidArgumentError(`'${value}' is not a scope: 1-64 characters of [A-Za-z0-9._-].`);
  return value;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a URL such as http://127.0.0.1:8080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`'${value}' is not an http(s) URL.`);
  return value;
}
