export * from "./users";
export * from "./directory";
export * from "./privileges";
export * from "./access-groups";
export * from "./catalog";
export * from "./requests";
export * from "./grants";
export * from "./audit";
