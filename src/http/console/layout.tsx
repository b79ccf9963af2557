/** The page frame every console page shares: head, navigation, who is signed in, sign-out. */
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

export type Section = 'overview' | 'queue' | 'audit' | 'rules' | 'accounts';

const sections: readonly { key: Section; href: string; label: string }[] = [
  { key: 'overview', href: '/console', label: 'Overview' },
  { key: 'queue', href: '/console/queue', label: 'Review queue' },
  { key: 'audit', href: '/console/audit', label: 'Audit' },
  { key: 'rules', href: '/console/rules', label: 'Rules' },
  { key: 'accounts', href: '/console/accounts', label: 'Accounts' },
];

export interface Frame {
  readonly title: string;
  readonly section?: Section;
  /** Signed in as; absent on the sign-in page. */
  readonly moderator?: string;
  readonly csrf?: string;
  readonly dryRun?: boolean;
  readonly flash?: { readonly kind: 'ok' | 'err'; readonly text: string } | null;
  readonly script?: boolean;
}

export function Layout(props: Frame & { children?: Child }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="same-origin" />
          <title>{`${props.title} · modbot console`}</title>
          <link rel="icon" href="data:," />
          <link rel="stylesheet" href="/console/assets/console.css" />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="top">
            <a class="brand" href="/console">
              modbot
            </a>
            {props.moderator ? (
              <nav aria-label="Console">
                {sections.map((s) => (
                  <a href={s.href} aria-current={s.key === props.section ? 'page' : undefined}>
                    {s.label}
                  </a>
                ))}
              </nav>
            ) : null}
            {props.moderator ? (
              <div class="who">
                <span>
                  {props.dryRun ? <span class="badge warn">dry run</span> : null} signed in as{' '}
                  <strong>{props.moderator}</strong>
                </span>
                <form method="post" action="/console/logout" class="inline">
                  <input type="hidden" name="_csrf" value={props.csrf ?? ''} />
                  <button type="submit">Sign out</button>
                </form>
              </div>
            ) : null}
          </header>
          <main id="main">
            {props.flash ? (
              <p class={`flash ${props.flash.kind}`} role={props.flash.kind === 'err' ? 'alert' : 'status'}>
                {props.flash.text}
              </p>
            ) : null}
            {props.children}
          </main>
          {props.script ? <script src="/console/assets/console.js" defer /> : null}
        </body>
      </html>
    </>
  );
}

/** A hidden CSRF field: every console form carries one. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}
