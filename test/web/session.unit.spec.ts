import { describe, expect, it } from 'vitest';
import { SESSION_LIFETIME_MS, SessionStore, csrfMatches } from '../../src/web/session.js';
import { escapeHtml, html } from '../../src/web/html.js';
import { FORMS, formBySlug, parseTyped, validate, refusalOf } from '../../src/web/forms.js';

describe('web sessions', () => {
  it('end after eight hours, whatever the browser does', () => {
    let now = 1_000_000;
    const sessions = new SessionStore(() => now);
    const session = sessions.create({ name: 'anna', role: 'ekonom' }, 'token');
    now += SESSION_LIFETIME_MS - 1;
    expect(sessions.get(session.id)?.name).toBe('anna');
    now += 1;
    expect(sessions.get(session.id)).toBeNull();
  });

  it('have unguessable ids and CSRF tokens, and match the CSRF token exactly', () => {
    const sessions = new SessionStore();
    const a = sessions.create({ name: 'a', role: 'revisor' }, 't');
    const b = sessions.create({ name: 'b', role: 'revisor' }, 't');
    expect(a.id).not.toBe(b.id);
    expect(a.id.length).toBeGreaterThanOrEqual(43);
    expect(csrfMatches(a, a.csrfToken)).toBe(true);
    expect(csrfMatches(a, b.csrfToken)).toBe(false);
    expect(csrfMatches(a, `${a.csrfToken}x`)).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
    sessions.destroy(a.id);
    expect(sessions.get(a.id)).toBeNull();
  });
});

describe('html templates', () => {
  it('escape every interpolated value, and only those', () => {
    const title = '<script>alert("x")</script> & \'';
    expect(html`<p title="${title}">${title}</p>`.text).toBe(`<p title="${escapeHtml(title)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;</p>`);
    expect(html`<ul>${['a<', 'b'].map((item) => html`<li>${item}</li>`)}</ul>`.text).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
  });
});

describe('forms', () => {
  const receive = formBySlug('statsbidrag')!;
  const typed = {
    grantor: 'Tillväxtverket', title: 'Minska och motverka segregation', purpose: 'Motverka segregation', kind: 'riktat',
    committee: 'socialnamnden', amount: '8 000 000,00', receivedOn: '2020-06-15', useBy: '2020-12-31', repaymentRequired: 'ja', reportDue: '', reference: '',
  };

  it('read Swedish amounts and dates into what the API schema accepts', () => {
    const { values, errors } = parseTyped(receive, typed);
    expect(errors).toEqual({});
    const { data } = validate(receive, values);
    expect(data).toMatchObject({ amount: '8000000.00', repaymentRequired: true, useBy: '2020-12-31' });
    expect(data).not.toHaveProperty('reportDue');
  });

  it('say in Swedish what is wrong, per field', () => {
    const parsed = parseTyped(receive, { ...typed, amount: '8.000.000', receivedOn: '2020-02-30', grantor: '   ' });
    expect(parsed.errors.amount).toMatch(/Skriv beloppet/);
    expect(parsed.errors.receivedOn).toMatch(/ÅÅÅÅ-MM-DD/);
    expect(parsed.errors.grantor).toBe('Fyll i bidragsgivare.');
    const checked = validate(receive, parseTyped(receive, { ...typed, amount: '0', useBy: '2020-01-01', committee: 'Socialnämnden' }).values);
    expect(checked.errors).toEqual({
      amount: 'Beloppet måste vara större än noll.',
      useBy: 'Datumet får inte vara före dagen då bidraget mottogs.',
      committee: expect.stringMatching(/små bokstäver/),
    });
    expect(refusalOf(formBySlug('aterbetalning')!, 'RETURN_EXCEEDS_UNALLOCATED', undefined)).toEqual({ field: 'amount', message: expect.stringMatching(/större än/) });
  });

  it('cover every command of the grant and budget streams, each label once per form', () => {
    expect(FORMS.map((form) => form.slug)).toHaveLength(17);
    for (const form of FORMS) {
      const labels = form.fields.map((field) => field.label);
      expect(new Set(labels).size, form.slug).toBe(labels.length);
    }
  });
});
