/** React's access to the store: one context, and a bounded selector hook. */
import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { AppStore } from "./index.js";
import type { AppState } from "./slices.js";

export const StoreContext = createContext<AppStore | undefined>(undefined);

export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error("useAppStore outside of <StoreContext.Provider>");
  return useStore(store, selector);
}
