import { useState, type FormEvent } from 'react';
import { fieldErrorsOf } from '../api/fieldErrors';
import { addMembers, listMembers, listUsers, removeMember } from '../api/identity';
import type { Team } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { CheckboxField, TextField } from '../components/Field';
import { TableRegion } from '../components/TableRegion';
import { useSession } from '../session';
import { useLoad } from '../useLoad';

function AddMember({ team, added }: { readonly team: Team; added(): void }) {
  const [userId, setUserId] = useState('');
  const [owner, setOwner] = useState(false);
  const [error, setError] = useState<unknown>();
  const errors = fieldErrorsOf(error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const id = userId.trim();
    addMembers(team.id, owner ? [] : [id], owner ? [id] : []).then(() => {
      setUserId('');
      added();
    }, setError);
  };
  return (
    <form onSubmit={submit} className="inline-form" aria-labelledby="add-member-title">
      <h3 id="add-member-title">Add a member</h3>
      <TextField
        label="User id"
        value={userId}
        onChange={setUserId}
        error={errors['members.0'] ?? errors['owners.0'] ?? errors['members']}
        hint="Users list their id on their account; superusers see them below."
      />
      <CheckboxField label="As an owner" checked={owner} onChange={setOwner} />
      <ErrorNotice error={error} shown={['members.0', 'owners.0', 'members']} />
      <button type="submit" disabled={userId.trim() === ''}>
        Add to {team.name}
      </button>
    </form>
  );
}

function Members({ team }: { readonly team: Team }) {
  const { user } = useSession();
  const members = useLoad(() => listMembers(team.id), [team.id]);
  const [error, setError] = useState<unknown>();
  const mine = members.data?.find((member) => member.id === user.id);
  const owns = user.is_superuser || mine?.role === 'owner';

  const remove = (userId: string) => {
    setError(undefined);
    removeMember(team.id, userId).then(members.reload, setError);
  };

  return (
    <section aria-labelledby="members-title" className="panel">
      <h2 id="members-title">Members of {team.name}</h2>
      <ErrorNotice error={members.error ?? error} />
      {members.data === undefined ? null : (
        <TableRegion label="Team members">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">User id</th>
                {owns ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {members.data.map((member) => (
                <tr key={member.id}>
                  <td>{member.email}</td>
                  <td>{member.role}</td>
                  <td>
                    <code>{member.id}</code>
                  </td>
                  {owns ? (
                    <td>
                      <button type="button" className="secondary" onClick={() => remove(member.id)}>
                        Remove {member.email}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {owns ? <AddMember team={team} added={members.reload} /> : null}
    </section>
  );
}

/** Superusers only: every account, to find the id of someone to add. */
function Users() {
  const [search, setSearch] = useState('');
  const users = useLoad(() => listUsers(search.trim()), [search]);
  return (
    <section aria-labelledby="users-title" className="panel">
      <h2 id="users-title">Users</h2>
      <TextField label="Search users" type="search" value={search} onChange={setSearch} />
      <ErrorNotice error={users.error} />
      {users.data === undefined ? null : (
        <TableRegion label="User accounts">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">User id</th>
                <th scope="col">Active</th>
                <th scope="col">Superuser</th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((account) => (
                <tr key={account.id}>
                  <td>{account.email}</td>
                  <td>
                    <code>{account.id}</code>
                  </td>
                  <td>{account.is_active ? 'yes' : 'no'}</td>
                  <td>{account.is_superuser ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}

export function TeamPage() {
  const { team, env, user } = useSession();
  return (
    <>
      <h1 tabIndex={-1}>Team</h1>
      <p>
        Signed in as {user.email} (id <code>{user.id}</code>), in environment {env?.name ?? '(none)'}. The environment and the team are
        chosen at the top of the page.
      </p>
      {team === undefined ? <p>This environment has no team you can see.</p> : <Members team={team} />}
      {user.is_superuser ? <Users /> : null}
    </>
  );
}
