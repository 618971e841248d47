import { useState, type ReactNode } from 'react';
import { ErrorNotice } from './components/ErrorNotice';
import { Link, useNavigation } from './navigation';
import { useSession } from './session';

const SECTIONS = [
  { to: '/pipelines', label: 'Pipelines' },
  { to: '/connectors', label: 'Connectors' },
  { to: '/datamodels', label: 'Datamodels' },
  { to: '/audit', label: 'Audit log' },
  { to: '/team', label: 'Team' },
] as const;

function EnvAndTeam() {
  const session = useSession();
  const [error, setError] = useState<unknown>();
  const changeEnv = (envId: string) => {
    setError(undefined);
    session.chooseEnv(envId).catch(setError);
  };
  return (
    <div className="context-choice">
      <label>
        Environment
        <select value={session.env?.id ?? ''} onChange={(event) => changeEnv(event.target.value)}>
          {session.envs.length === 0 ? <option value="">none yet</option> : null}
          {session.envs.map((env) => (
            <option key={env.id} value={env.id}>
              {env.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Team
        <select value={session.team?.id ?? ''} onChange={(event) => session.chooseTeam(event.target.value)}>
          {session.teams.length === 0 ? <option value="">none in this environment</option> : null}
          {session.teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
      </label>
      <ErrorNotice error={error} />
    </div>
  );
}

/** The signed-in frame: skip link, navigation, env and team choice, who is signed in. */
export function Layout({ children }: { readonly children: ReactNode }) {
  const session = useSession();
  const { location } = useNavigation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">Popsink</div>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((section) => (
              <li key={section.to}>
                <Link to={section.to} aria-current={location.startsWith(section.to) ? 'page' : undefined}>
                  {section.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <EnvAndTeam />
        <div className="who">
          <span>{session.user.email}</span>
          <button type="button" className="secondary" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
