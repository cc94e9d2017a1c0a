import { useEffect } from 'react';
import type { Theme } from '../src-shared/api/types';

/** 'system' leaves the choice to prefers-color-scheme in app.css; light/dark override it. */
export function useTheme(theme: Theme): void {
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = theme;
  }, [theme]);
}
