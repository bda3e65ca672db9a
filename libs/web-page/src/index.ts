export * from './web-page';
