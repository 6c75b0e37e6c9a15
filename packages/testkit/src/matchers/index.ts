export * from './register-safemig-matchers';
export * from './safemig-matchers';
