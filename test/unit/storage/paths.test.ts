import { describe, expect, it } from 'vitest';
import { defaultDatabasePath } from '../../../src/storage';

describe('defaultDatabasePath', () => {
  it('honours SDRLOG_DB first', () => {
    expect(defaultDatabasePath({ SDRLOG_DB: '/data/x.db', XDG_CONFIG_HOME: '/c' }, 'linux', '/home/u')).toBe('/data/x.db');
  });
  it('uses XDG_CONFIG_HOME, else ~/.config on Linux', () => {
    expect(defaultDatabasePath({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u')).toBe('/cfg/sdrlog/sdrlog.db');
    expect(defaultDatabasePath({}, 'linux', '/home/u')).toBe('/home/u/.config/sdrlog/sdrlog.db');
  });
  it('uses Application Support on macOS and APPDATA on Windows', () => {
    expect(defaultDatabasePath({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/sdrlog/sdrlog.db');
    expect(defaultDatabasePath({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Roaming\\sdrlog\\sdrlog.db');
  });
});
