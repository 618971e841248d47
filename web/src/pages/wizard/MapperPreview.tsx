import { ApiError } from '../../api/http';
import { fieldPathOf } from '../../api/fieldErrors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { TableRegion } from '../../components/TableRegion';
import { valueText } from '../../components/valueText';
import type { Preview } from './useMapperPreview';

/** `message.1` is the second sample message; `config.0.cast` the first column's cast. */
function describeLoc(path: string): string {
  const [part, index, field] = path.split('.');
  const position = index === undefined ? '' : ` ${Number(index) + 1}`;
  if (part === 'message') return `Sample message${position}`;
  if (part === 'config') return `Column${position}${field === undefined ? '' : ` (${field})`}`;
  return path;
}

export function MapperPreview({ preview, keys }: { readonly preview: Preview; readonly keys: readonly string[] }) {
  return (
    <section aria-labelledby="preview-title" className="preview">
      <h3 id="preview-title">Preview</h3>
      <div aria-live="polite">
        {preview === undefined ? (
          <p>The preview shows here once there are columns and sample messages.</p>
        ) : 'error' in preview ? (
          preview.error instanceof ApiError && preview.error.issues.length > 0 ? (
            <ul className="notice error" aria-label="Preview errors">
              {preview.error.issues.map((issue, index) => (
                <li key={index}>
                  {describeLoc(fieldPathOf(issue))}: {issue.msg}
                </li>
              ))}
            </ul>
          ) : (
            <ErrorNotice error={preview.error} />
          )
        ) : (
          <TableRegion label="Mapped rows">
            <table>
              <caption>Mapped rows</caption>
              <thead>
                <tr>
                  {keys.map((key, index) => (
                    <th scope="col" key={index}>
                      {key}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row, index) => (
                  <tr key={index}>
                    {keys.map((key, column) => (
                      <td key={column}>{valueText(row[key])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </div>
    </section>
  );
}
