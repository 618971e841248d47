import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { sessionToken, whenUnauthorized } from './api/http';
import * as identity from './api/identity';
import type { Env, Team, User } from './api/types';

export interface Session {
  readonly user: User;
  readonly token: string;
  readonly envs: readonly Env[];
  /** The teams of the active env. */
  readonly teams: readonly Team[];
  readonly env: Env | undefined;
  readonly team: Team | undefined;
  chooseEnv(envId: string): Promise<void>;
  chooseTeam(teamId: string): void;
  signOut(): Promise<void>;
}

interface SessionState {
  /** undefined while the stored token is being checked; null when signed out. */
  readonly session: Session | null | undefined;
  signIn(email: string, password: string): Promise<void>;
}

const SessionContext = createContext<SessionState>({ session: undefined, signIn: async () => undefined });

/** The chosen team is a preference, not a secret: it is kept beside the token for the tab's life. */
const TEAM_KEY = 'popsink.team';

interface Loaded {
  readonly user: User;
  readonly token: string;
  readonly envs: readonly Env[];
  readonly teams: readonly Team[];
}

async function loadSession(token: string): Promise<Loaded> {
  const [user, envs] = await Promise.all([identity.currentUser(), identity.listEnvs()]);
  const envId = user.active_env_id ?? envs.items[0]?.id;
  const teams = await identity.listTeams(envId);
  return { user, token, envs: envs.items, teams: teams.items };
}

/** Who is signed in, in which env and team; the token lives in sessionStorage, nothing else of the session does. */
export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const [loaded, setLoaded] = useState<Loaded | null | undefined>(() => (sessionToken.read() === null ? null : undefined));
  const [teamId, setTeamId] = useState<string | null>(() => sessionStorage.getItem(TEAM_KEY));

  const end = useCallback(() => {
    sessionToken.clear();
    sessionStorage.removeItem(TEAM_KEY);
    setLoaded(null);
  }, []);

  useEffect(() => {
    whenUnauthorized(end);
    const token = sessionToken.read();
    if (token === null) return;
    loadSession(token).then(setLoaded, end);
  }, [end]);

  const signIn = useCallback(async (email: string, password: string) => {
    const { access_token: token } = await identity.signIn(email, password);
    sessionToken.write(token);
    setLoaded(await loadSession(token));
  }, []);

  const session = useMemo((): Session | null | undefined => {
    if (loaded === undefined || loaded === null) return loaded;
    const env = loaded.envs.find((candidate) => candidate.id === loaded.user.active_env_id) ?? loaded.envs[0];
    const team = loaded.teams.find((candidate) => candidate.id === teamId) ?? loaded.teams[0];
    return {
      ...loaded,
      env,
      team,
      async chooseEnv(envId: string) {
        await identity.chooseEnv(envId);
        setLoaded(await loadSession(loaded.token));
      },
      chooseTeam(id: string) {
        sessionStorage.setItem(TEAM_KEY, id);
        setTeamId(id);
      },
      async signOut() {
        try {
          await identity.signOut();
        } finally {
          end();
        }
      },
    };
  }, [loaded, teamId, end]);

  const value = useMemo(() => ({ session, signIn }), [session, signIn]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export const useSessionState = (): SessionState => useContext(SessionContext);

/** The signed-in session; only pages shown after sign-in call it. */
export function useSession(): Session {
  const { session } = useContext(SessionContext);
  if (session === undefined || session === null) throw new Error('useSession outside a signed-in page');
  return session;
}
