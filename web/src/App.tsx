import { useEffect, useRef } from 'react';
import { Layout } from './Layout';
import { matchPath, useNavigation } from './navigation';
import { AuditLogPage } from './pages/AuditLogPage';
import { ConnectorsPage } from './pages/ConnectorsPage';
import { DatamodelsPage } from './pages/DatamodelsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PipelineDetailPage } from './pages/pipeline/PipelineDetailPage';
import { PipelinesPage } from './pages/PipelinesPage';
import { SignInPage } from './pages/SignInPage';
import { TeamPage } from './pages/TeamPage';
import { PipelineWizardPage } from './pages/wizard/PipelineWizardPage';
import { useSessionState } from './session';

function Page({ location }: { readonly location: string }) {
  if (matchPath('/', location) !== undefined || matchPath('/pipelines', location) !== undefined) return <PipelinesPage />;
  if (matchPath('/pipelines/new', location) !== undefined) return <PipelineWizardPage />;
  const pipeline = matchPath('/pipelines/:id', location);
  if (pipeline?.['id'] !== undefined) return <PipelineDetailPage key={pipeline['id']} id={pipeline['id']} />;
  if (matchPath('/connectors', location) !== undefined) return <ConnectorsPage />;
  if (matchPath('/datamodels', location) !== undefined) return <DatamodelsPage />;
  if (matchPath('/audit', location) !== undefined) return <AuditLogPage />;
  if (matchPath('/team', location) !== undefined) return <TeamPage />;
  return <NotFoundPage />;
}

export function App() {
  const { session } = useSessionState();
  const { location } = useNavigation();
  const path = location.split('?')[0] ?? '/';
  const first = useRef(true);

  // After a page change, the focus goes to the new page's heading, as a full page load would put it at the top.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [path, session === null]);

  if (session === undefined) {
    return (
      <main id="main" className="centered">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (session === null) return <SignInPage />;
  return (
    <Layout>
      <Page location={location} />
    </Layout>
  );
}
