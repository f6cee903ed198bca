import { createHash } from 'node:crypto';
import { dashboardPage } from '../../src/dashboard/page';

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('dashboard page', () => {
  const page = dashboardPage();

  it('is one self-contained document: its style and script inline, nothing loaded from elsewhere', () => {
    expect(page.html).not.toMatch(/<!-- (STYLE|SCRIPT) -->/);
    expect(page.html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(?!data:)/i);
    expect(page.html).toMatch(/<meta name="viewport"/);
  });

  it('allows exactly the inline script and style it ships, and no other origin', () => {
    const script = /<script>([\s\S]*)<\/script>/.exec(page.html)?.[1] ?? '';
    const style = /<style>([\s\S]*)<\/style>/.exec(page.html)?.[1] ?? '';
    const csp = page.headers['Content-Security-Policy'];
    expect(csp).toContain(`script-src ${hashOf(script)}`);
    expect(csp).toContain(`style-src ${hashOf(style)}`);
    expect(csp).toContain("default-src 'none'");
    expect(page.headers['Referrer-Policy']).toBe('no-referrer');
  });
});
