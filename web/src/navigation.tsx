import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
} from 'react';

interface Navigation {
  /** The current path and query, e.g. `/pipelines?state=live`. */
  readonly location: string;
  navigate(to: string): void;
}

const NavigationContext = createContext<Navigation>({ location: '/', navigate: () => undefined });

const currentLocation = (): string => `${window.location.pathname}${window.location.search}`;

/**
 * Client-side routes on the History API: the server answers index.html for every path that is
 * not a file, so a deep link or a reload lands on the right page. A few routes do not need a
 * router package.
 */
export function NavigationProvider({ children }: { readonly children: ReactNode }) {
  const [location, setLocation] = useState(currentLocation);
  useEffect(() => {
    const onPop = () => setLocation(currentLocation());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string) => {
    if (to === currentLocation()) return;
    window.history.pushState(null, '', to);
    setLocation(currentLocation());
  }, []);
  const value = useMemo(() => ({ location, navigate }), [location, navigate]);
  return <NavigationContext.Provider value={value}>{children}</NavigationContext.Provider>;
}

export const useNavigation = (): Navigation => useContext(NavigationContext);

/** The path's parts when it fits the pattern (`/pipelines/:id`), by parameter name. */
export function matchPath(pattern: string, location: string): Readonly<Record<string, string>> | undefined {
  const path = location.split('?')[0] ?? '';
  const wanted = pattern.split('/').filter(Boolean);
  const given = path.split('/').filter(Boolean);
  if (wanted.length !== given.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of wanted.entries()) {
    const actual = given[index] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(actual);
    else if (part !== actual) return undefined;
  }
  return params;
}

/** A link that changes the page without reloading it; modified clicks (new tab) stay the browser's. */
export function Link({
  to,
  children,
  ...rest
}: { readonly to: string; readonly children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const { navigate } = useNavigation();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
