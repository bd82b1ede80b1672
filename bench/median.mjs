/** The middle value of `values` (the upper of the two middle ones for an even count), for the benchmarks' tables. */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
