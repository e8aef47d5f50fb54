/** Prometheus metrics of one gateway process (text exposition format 0.0.4). */
export class Metrics {
  /** api → status → count; plain numbers on the hot path, labels built only when rendering. */
  private readonly requests = new Map<string, Map<number, number>>();
  private readonly durationSum = new Map<string, number>();
  inFlight = 0;
  reloads = 0;
  reloadFailures = 0;
  generation = 0;

  record(api: string | null, status: number, seconds: number): void {
    const name = api ?? '';
    let byStatus = this.requests.get(name);
    if (!byStatus) {
      byStatus = new Map();
      this.requests.set(name, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.durationSum.set(name, (this.durationSum.get(name) ?? 0) + seconds);
  }

  render(): string {
    const lines: string[] = [
      '# HELP apigw_requests_total Requests answered, by API and status code.',
      '# TYPE apigw_requests_total counter',
    ];
    for (const [api, byStatus] of this.requests) {
      for (const [code, v] of byStatus) lines.push(`apigw_requests_total{api="${escape(api)}",code="${code}"} ${v}`);
    }
    lines.push('# HELP apigw_request_duration_seconds_sum Time spent answering requests, by API.');
    lines.push('# TYPE apigw_request_duration_seconds_sum counter');
    for (const [api, v] of this.durationSum)
      lines.push(`apigw_request_duration_seconds_sum{api="${escape(api)}"} ${v}`);
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
