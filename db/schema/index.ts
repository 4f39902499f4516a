export * from "./users";
export * from "./directory";
export * from "./privileges";
export * from "./requests";
export * from "./grants";
export * from "./audit";
