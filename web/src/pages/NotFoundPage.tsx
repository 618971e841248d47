import { Link } from '../navigation';

export function NotFoundPage() {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        Nothing is here. Go to the <Link to="/pipelines">pipelines</Link>.
      </p>
    </>
  );
}
