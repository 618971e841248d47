import { call, queryOf, type Page } from './http';
import type { Env, Team, TeamMember, User } from './types';

export const signIn = (email: string, password: string): Promise<{ access_token: string; token_type: string }> =>
  call('POST', '/auth/jwt/login', { form: { username: email, password } });

export const signOut = (): Promise<void> => call('POST', '/auth/jwt/logout');

export const currentUser = (): Promise<User> => call('GET', '/users/me');

export const chooseEnv = (envId: string): Promise<User> => call('PATCH', '/users/me', { json: { active_env_id: envId } });

export const listEnvs = (): Promise<Page<Env>> => call('GET', `/envs/${queryOf({ limit: 100 })}`);

export const listTeams = (envId: string | undefined): Promise<Page<Team>> =>
  call('GET', `/teams/${queryOf({ env_id: envId, limit: 100 })}`);

export const listMembers = (teamId: string): Promise<readonly TeamMember[]> => call('GET', `/teams/${teamId}/members`);

export const addMembers = (teamId: string, members: readonly string[], owners: readonly string[]): Promise<void> =>
  call('POST', `/teams/${teamId}/members/bulk`, { json: { members, owners } });

export const removeMember = (teamId: string, userId: string): Promise<void> => call('DELETE', `/teams/${teamId}/members/${userId}`);

/** Superusers only: every account of the installation. */
export const listUsers = (search: string): Promise<Page<User>> => call('GET', `/users${queryOf({ search, limit: 100 })}`);
