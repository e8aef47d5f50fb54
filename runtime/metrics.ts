/** Prometheus metrics of one gateway process (text exposition format 0.0.4). */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durationSum = new Map<string, number>();
  inFlight = 0;
  reloads = 0;
  reloadFailures = 0;
  generation = 0;

  record(api: string | null, status: number, seconds: number): void {
    const key = `api="${escape(api ?? '')}",code="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const a = `api="${escape(api ?? '')}"`;
    this.durationSum.set(a, (this.durationSum.get(a) ?? 0) + seconds);
  }

  render(): string {
    const lines: string[] = [
      '# HELP apigw_requests_total Requests answered, by API and status code.',
      '# TYPE apigw_requests_total counter',
    ];
    for (const [k, v] of this.requests) lines.push(`apigw_requests_total{${k}} ${v}`);
    lines.push('# HELP apigw_request_duration_seconds_sum Time spent answering requests, by API.');
    lines.push('# TYPE apigw_request_duration_seconds_sum counter');
    for (const [k, v] of this.durationSum) lines.push(`apigw_request_duration_seconds_sum{${k}} ${v}`);
    lines.push('# HELP apigw_requests_in_flight Requests being answered.', '# TYPE apigw_requests_in_flight gauge');
    lines.push(`apigw_requests_in_flight ${this.inFlight}`);
    lines.push(
      '# HELP apigw_config_reloads_total Successful config reloads.',
      '# TYPE apigw_config_reloads_total counter',
    );
    lines.push(`apigw_config_reloads_total ${this.reloads}`);
    lines.push('# HELP apigw_config_reload_failures_total Rejected config reloads.');
    lines.push('# TYPE apigw_config_reload_failures_total counter');
    lines.push(`apigw_config_reload_failures_total ${this.reloadFailures}`);
    lines.push(
      '# HELP apigw_config_generation Config generation being served.',
      '# TYPE apigw_config_generation gauge',
    );
    lines.push(`apigw_config_generation ${this.generation}`);
    return lines.join('\n') + '\n';
  }
}

function escape(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}
