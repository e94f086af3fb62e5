/**
 * @module tools/autocannon
 * The slice of autocannon 8's API that tools/bench-edge.ts uses (the package ships no types).
 */
declare module 'autocannon' {
  interface Histogram {
    average: number
    p50: number
    p99: number
  }
  interface Request {
    path?: string
    setupRequest?: (request: { path: string }) => { path: string }
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    requests?: Request[]
  }
  interface Result {
    /** Per-second counts; `total` is every response of the run. */
    requests: Histogram & { total: number }
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
    /** Seconds, to 10 ms. */
    duration: number
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
