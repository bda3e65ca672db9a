import { headerText, stringHeaders, toInbound } from './inbound';

describe('Kafka headers as text', () => {
  const headers = { traceparent: [Buffer.from('00-a-b-01'), Buffer.from('00-c-d-01')], ce_id: Buffer.from('m-1'), plain: 'text', empty: undefined };

  it('takes the last value of a repeated header, as Java reads lastHeader', () => {
    expect(headerText(headers, 'traceparent')).toBe('00-c-d-01');
    expect(stringHeaders(headers)).toEqual({ traceparent: '00-c-d-01', ce_id: 'm-1', plain: 'text' });
  });

  it('gives nothing for a header that is absent or has no value', () => {
    expect(headerText(headers, 'tracestate')).toBeUndefined();
    expect(headerText(headers, 'empty')).toBeUndefined();
    expect(headerText(undefined, 'traceparent')).toBeUndefined();
    expect(stringHeaders(undefined)).toEqual({});
  });

  it('hands a record on with its headers as text and where it came from', () => {
    const inbound = toInbound('t', 2, { key: Buffer.from('host-a'), value: null, headers, offset: '41', timestamp: '0', attributes: 0 });
    expect(inbound).toEqual({ key: 'host-a', value: Buffer.alloc(0), headers: { traceparent: '00-c-d-01', ce_id: 'm-1', plain: 'text' }, origin: { transport: 'kafka', topic: 't', partition: 2, offset: '41' } });
  });
});
