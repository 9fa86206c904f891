import { BadRequestException, PipeTransform } from '@nestjs/common';
import { isValidId } from '../../../domain';

/** One value of a query parameter; `?x=1&x=2` (an array) or `?x[a]=1` (an object) is a 400. */
export function singleParam(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`query parameter ${name} must be given once, as a plain value`);
  return value;
}

/** An id filter (sellerId=…): digits within BIGINT, kept as a string. */
export function idParam(name: string, value: unknown): string | undefined {
  const text = singleParam(name, value);
  if (text === undefined) return undefined;
  if (!isValidId(text)) throw new BadRequestException(`${name} must be a positive whole number (an id), got ${JSON.stringify(text.slice(0, 40))}`);
  return text;
}

/** A path id (`/goods/:id`): digits within BIGINT, else 400 (ParseIntPipe lets 1e20 through to SQL). */
export class ParseIdPipe implements PipeTransform<unknown, string> {
  constructor(private readonly name = 'id') {}

  transform(value: unknown): string {
    return idParam(this.name, value) ?? (() => { throw new BadRequestException(`${this.name} is required`); })();
  }
}

/** A small whole number in a range (`limit`, `wait`), or its fallback when absent. */
export function boundedIntParam(name: string, value: unknown, range: { fallback: number; min: number; max: number }): number {
  const text = singleParam(name, value);
  if (text === undefined) return range.fallback;
  if (!/^[0-9]{1,6}$/.test(text) || Number(text) < range.min || Number(text) > range.max) throw new BadRequestException(`${name} must be a whole number from ${range.min} to ${range.max}`);
  return Number(text);
}
